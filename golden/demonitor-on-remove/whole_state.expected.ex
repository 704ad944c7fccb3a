defmodule Golden.DemonitorOnRemove.WholeState do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_call({:track, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, Map.put(state, pid, ref)}
  end

  def handle_call({:untrack, pid}, _from, state) do
    {:reply, :ok, demonitor_delete(state, pid)}
  end

  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    {:noreply, Map.delete(state, pid)}
  end

  defp demonitor_delete(monitors, key) do
    {ref, monitors} = Map.pop(monitors, key)
    if is_reference(ref), do: Process.demonitor(ref, [:flush])
    monitors
  end
end
