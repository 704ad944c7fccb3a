defmodule Golden.DemonitorOnRemove.PopDefault do
  use GenServer

  def init(_), do: {:ok, %{monitors: %{}}}

  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, %{state | monitors: Map.put(state.monitors, pid, ref)}}
  end

  # Map.pop/3: the default could be taken for a ref; reported, not rewritten.
  def handle_call({:unsubscribe, pid}, _from, state) do
    {_, monitors} = Map.pop(state.monitors, pid, :none)
    {:reply, :ok, %{state | monitors: monitors}}
  end
end
