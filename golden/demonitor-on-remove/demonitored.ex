defmodule Golden.DemonitorOnRemove.Demonitored do
  use GenServer

  def init(_), do: {:ok, %{monitors: %{}}}

  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, %{state | monitors: Map.put(state.monitors, pid, ref)}}
  end

  def handle_call({:unsubscribe, pid}, _from, state) do
    {ref, monitors} = Map.pop(state.monitors, pid)
    if ref, do: Process.demonitor(ref, [:flush])
    {:reply, :ok, %{state | monitors: monitors}}
  end

  # The release happens in a helper this clause calls.
  def handle_call({:unsubscribe_via_helper, pid}, _from, state) do
    release(state.monitors[pid])
    {:reply, :ok, %{state | monitors: Map.delete(state.monitors, pid)}}
  end

  # The popped ref is bound and used: not discarded.
  def handle_call({:take, pid}, _from, state) do
    {ref, monitors} = Map.pop(state.monitors, pid)
    {:reply, ref, %{state | monitors: monitors}}
  end

  # The caller releases the monitor; the shared helper only updates the map.
  def handle_call({:unsubscribe_then_remove, pid}, _from, state) do
    release(state.monitors[pid])
    {:reply, :ok, remove(state, pid)}
  end

  def handle_info({:DOWN, _ref, :process, pid, _reason}, state), do: {:noreply, remove(state, pid)}

  defp remove(state, pid), do: %{state | monitors: Map.delete(state.monitors, pid)}

  defp release(nil), do: :ok
  defp release(ref), do: Process.demonitor(ref, [:flush])
end
