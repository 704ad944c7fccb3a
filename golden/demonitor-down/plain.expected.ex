defmodule Golden.DemonitorDown.Plain do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, pid, reason}, state) do
    Process.demonitor(ref, [:flush])
    state = Map.delete(state, ref)
    {:noreply, Map.put(state, :last_down, {pid, reason})}
  end
end
