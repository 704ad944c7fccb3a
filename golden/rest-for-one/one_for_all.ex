defmodule Golden.RestForOne.OneForAll do
  def start_link do
    children = [Golden.RestForOne.OneForAll.Db, Golden.RestForOne.OneForAll.Api]
    Supervisor.start_link(children, strategy: :one_for_all)
  end
end

defmodule Golden.RestForOne.OneForAll.Db do
  def start_link(_), do: Agent.start_link(fn -> %{} end, name: __MODULE__)
end

defmodule Golden.RestForOne.OneForAll.Api do
  def start_link(_), do: Agent.start_link(fn -> Agent.get(Golden.RestForOne.OneForAll.Db, & &1) end)
end
