defmodule Golden.RestForOne.Files.Worker do
  use GenServer
  alias Golden.RestForOne.Files.Cache

  def start_link(_arg), do: GenServer.start_link(__MODULE__, :ok)

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call({:lookup, key}, _from, state) do
    {:reply, GenServer.call(Cache, {:get, key}), state}
  end
end
