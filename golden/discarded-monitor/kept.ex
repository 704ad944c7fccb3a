defmodule Golden.DiscardedMonitor.Kept do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, Map.put(state, pid, ref)}
  end

  def handle_call({:track, pid}, _from, state) do
    {:reply, :ok, Map.put(state, pid, Process.monitor(pid))}
  end

  def handle_call({:track_piped, pid}, _from, state) do
    ref = pid |> Process.monitor()
    {:reply, {:ok, ref}, state}
  end

  def handle_call({:ref_used, pid}, _from, state) do
    _ref = Process.monitor(pid)
    {:reply, _ref, state}
  end

  # The last expression: the ref is returned to the caller.
  def monitor(pid) do
    Process.monitor(pid)
  end

  def monitor_tuple(pid), do: {:ok, Process.monitor(pid)}
end
