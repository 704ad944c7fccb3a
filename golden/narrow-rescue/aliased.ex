defmodule Golden.NarrowRescue.Aliased do
  alias Golden.NarrowRescue.Repo
  alias Jason, as: JSON
  alias Golden.NarrowRescue.{Accounts.User}

  def user(id) do
    Repo.get!(User, id)
  rescue
    _ -> nil
  end

  def payload(body) do
    JSON.decode!(body)
  rescue
    e -> {:error, e}
  end
end
