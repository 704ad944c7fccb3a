defmodule Golden.DemonitorOnRemove.NameTaken do
  use GenServer

  def init(_), do: {:ok, %{monitors: %{}}}

  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, %{state | monitors: Map.put(state.monitors, pid, ref)}}
  end

  def handle_call({:unsubscribe, pid}, _from, state) do
    {:reply, :ok, %{state | monitors: Map.delete(state.monitors, pid)}}
  end

  # Someone else's function with the helper's name: no fix.
  def demonitor_delete(a, b), do: {a, b}
end
