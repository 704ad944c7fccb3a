defmodule Golden.RestForOne.Three.Reader do
  @moduledoc "Looks the store up once, at start, and keeps its pid."
  use GenServer

  def start_link(_arg), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @impl true
  def init(:ok), do: {:ok, %{store: GenServer.whereis(Golden.RestForOne.Three.Store)}}

  @impl true
  def handle_call(:ping_store, _from, state) do
    {:reply, GenServer.call(state.store, :ping), state}
  end
end
