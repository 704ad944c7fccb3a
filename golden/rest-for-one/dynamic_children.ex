defmodule Golden.RestForOne.DynamicChildren do
  use Supervisor

  def start_link(arg), do: Supervisor.start_link(__MODULE__, arg)

  @impl true
  def init(arg) do
    children = [Golden.RestForOne.DynamicChildren.Pool, Golden.RestForOne.DynamicChildren.Client] ++ extra(arg)
    Supervisor.init(children, strategy: :one_for_one)
  end

  defp extra(arg), do: Keyword.get(arg, :extra, [])
end

defmodule Golden.RestForOne.DynamicChildren.Pool do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  @impl true
  def init(:ok), do: {:ok, []}
end

defmodule Golden.RestForOne.DynamicChildren.Client do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok)
  @impl true
  def init(:ok), do: {:ok, GenServer.call(Golden.RestForOne.DynamicChildren.Pool, :checkout)}
end
