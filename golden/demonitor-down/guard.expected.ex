defmodule Golden.DemonitorDown.Guard do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, pid, reason}, state) when reason != :normal do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.put(state, pid, {ref, reason})}
  end

  def handle_info({:DOWN, ref, :process, pid, :normal}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, pid)}
  end
end
