defmodule Golden.RestForOne.AlreadyRestForOne do
  def start_link do
    children = [Golden.RestForOne.AlreadyRestForOne.Db, Golden.RestForOne.AlreadyRestForOne.Api]
    Supervisor.start_link(children, strategy: :rest_for_one)
  end
end

defmodule Golden.RestForOne.AlreadyRestForOne.Db do
  def start_link(_), do: Agent.start_link(fn -> %{} end, name: __MODULE__)
end

defmodule Golden.RestForOne.AlreadyRestForOne.Api do
  def start_link(_), do: Agent.start_link(fn -> Agent.get(Golden.RestForOne.AlreadyRestForOne.Db, & &1) end)
end
