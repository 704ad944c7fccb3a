defmodule Golden.DiscardedMonitor.Underscore do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_cast({:watch, pid}, state) do
    _ = Process.monitor(pid)
    {:noreply, state}
  end

  def handle_cast({:watch_named, pid}, state) do
    _ref = Process.monitor(pid)
    {:noreply, state}
  end
end
