defmodule Golden.DemonitorOnRemove.PopDiscarded do
  use GenServer

  def init(_), do: {:ok, %{monitors: %{}}}

  def handle_cast({:watch, pid}, %{monitors: monitors} = state) do
    {:noreply, %{state | monitors: Map.put_new(monitors, pid, Process.monitor(pid))}}
  end

  def handle_cast({:unwatch, pid}, %{monitors: monitors} = state) do
    {_ref, monitors} = demonitor_pop(monitors, pid)
    {:noreply, %{state | monitors: monitors}}
  end

  def handle_cast({:unwatch_piped, pid}, state) do
    monitors = state.monitors |> demonitor_pop(pid) |> elem(1)
    {:noreply, %{state | monitors: monitors}}
  end

  defp demonitor_pop(monitors, key) do
    {ref, monitors} = Map.pop(monitors, key)
    if is_reference(ref), do: Process.demonitor(ref, [:flush])
    {ref, monitors}
  end
end
