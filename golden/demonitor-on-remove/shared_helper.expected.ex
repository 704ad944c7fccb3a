defmodule Golden.DemonitorOnRemove.SharedHelper do
  use GenServer

  def init(_), do: {:ok, %{monitors: %{}}}

  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, %{state | monitors: Map.put(state.monitors, pid, ref)}}
  end

  # Reached from unsubscribe too: the removal in remove/2 leaks there.
  def handle_call({:unsubscribe, pid}, _from, state), do: {:reply, :ok, remove(state, pid)}

  def handle_info({:DOWN, _ref, :process, pid, _reason}, state), do: {:noreply, remove(state, pid)}

  defp remove(state, pid), do: %{state | monitors: demonitor_delete(state.monitors, pid)}

  defp demonitor_delete(monitors, key) do
    {ref, monitors} = Map.pop(monitors, key)
    if is_reference(ref), do: Process.demonitor(ref, [:flush])
    monitors
  end
end
