defmodule Golden.DemonitorOnRemove.UpdateIn do
  use GenServer

  def init(_), do: {:ok, %{workers: %{}}}

  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, update_in(state.workers, &Map.put(&1, pid, ref))}
  end

  def handle_call({:unsubscribe, pid}, _from, state) do
    {:reply, :ok, update_in(state.workers, &demonitor_delete(&1, pid))}
  end

  def handle_call({:unsubscribe_fn, pid}, _from, state) do
    {:reply, :ok, Map.update!(state, :workers, fn workers -> demonitor_delete(workers, pid) end)}
  end

  # A capture over another map: not the monitors.
  def handle_call({:other, key}, _from, state) do
    {:reply, :ok, Map.update(state, :names, %{}, &Map.delete(&1, key))}
  end

  defp demonitor_delete(monitors, key) do
    {ref, monitors} = Map.pop(monitors, key)
    if is_reference(ref), do: Process.demonitor(ref, [:flush])
    monitors
  end
end
