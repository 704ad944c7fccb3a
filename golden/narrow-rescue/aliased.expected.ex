defmodule Golden.NarrowRescue.Aliased do
  alias Golden.NarrowRescue.Repo
  alias Jason, as: JSON
  alias Golden.NarrowRescue.{Accounts.User}

  def user(id) do
    Repo.get!(User, id)
  rescue
    _ in [Ecto.NoResultsError, Ecto.MultipleResultsError, Ecto.Query.CastError] -> nil
  end

  def payload(body) do
    JSON.decode!(body)
  rescue
    e in Jason.DecodeError -> {:error, e}
  end
end
