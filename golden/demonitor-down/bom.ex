defmodule Golden.DemonitorDown.Bom do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    {:noreply, Map.delete(state, ref)}
  end
end
