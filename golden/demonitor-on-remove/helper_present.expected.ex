defmodule Golden.DemonitorOnRemove.HelperPresent do
  use GenServer

  def init(_), do: {:ok, %{monitors: %{}}}

  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, %{state | monitors: Map.put(state.monitors, pid, ref)}}
  end

  def handle_call({:unsubscribe, pid}, _from, state) do
    {:reply, :ok, %{state | monitors: demonitor_delete(state.monitors, pid)}}
  end

  def handle_call({:unsubscribe_quietly, pid}, _from, state) do
    {:reply, :ok, %{state | monitors: demonitor_delete(state.monitors, pid)}}
  end

  defp demonitor_delete(monitors, key) do
    {ref, monitors} = Map.pop(monitors, key)
    if is_reference(ref), do: Process.demonitor(ref, [:flush])
    monitors
  end
end
