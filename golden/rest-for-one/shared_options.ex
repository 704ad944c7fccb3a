defmodule Golden.RestForOne.SharedOptions do
  def start_link do
    opts = [strategy: :one_for_one]
    Supervisor.start_link([Golden.RestForOne.SharedOptions.Db, Golden.RestForOne.SharedOptions.Api], opts)
    Supervisor.start_link([Golden.RestForOne.SharedOptions.Other], opts)
  end
end

defmodule Golden.RestForOne.SharedOptions.Db do
  def start_link(_), do: Agent.start_link(fn -> %{} end, name: __MODULE__)
end

defmodule Golden.RestForOne.SharedOptions.Api do
  def start_link(_), do: Agent.start_link(fn -> Golden.RestForOne.SharedOptions.Db.all() end)
end
