defmodule Golden.DemonitorOnRemove.DownOnly do
  use GenServer

  def init(_), do: {:ok, %{monitors: %{}, names: %{}}}

  def handle_call({:subscribe, pid, name}, _from, state) do
    ref = Process.monitor(pid)
    monitors = Map.put(state.monitors, pid, ref)
    {:reply, :ok, %{state | monitors: monitors, names: Map.put(state.names, pid, name)}}
  end

  # Not a monitor map: removing a name leaks nothing.
  def handle_call({:rename, pid}, _from, state) do
    {:reply, :ok, %{state | names: Map.delete(state.names, pid)}}
  end

  # The monitor fired: nothing to release.
  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    {:noreply, forget(state, pid)}
  end

  # Only reached from the :DOWN handler.
  defp forget(state, pid) do
    %{state | monitors: Map.delete(state.monitors, pid), names: Map.delete(state.names, pid)}
  end

  def terminate(_reason, state) do
    _ = Map.drop(state.monitors, Map.keys(state.monitors))
    :ok
  end
end
