defmodule Golden.DiscardedMonitor.Statement do
  use GenServer

  def init(state), do: {:ok, state}

  # The ref is dropped: unsubscribe can never demonitor this process.
  def handle_call({:subscribe, pid}, _from, state) do
    Process.monitor(pid)
    {:reply, :ok, Map.update(state, :subscribers, [pid], &[pid | &1])}
  end

  def handle_cast({:watch, pid}, state) do
    pid |> Process.monitor()
    {:noreply, state}
  end

  def handle_info({:watch_erlang, pid}, state) do
    :erlang.monitor(:process, pid)
    {:noreply, state}
  end
end
