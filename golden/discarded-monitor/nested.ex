defmodule Golden.DiscardedMonitor.Nested do
  def maybe_watch(pid, watch?) do
    if watch? do
      Process.monitor(pid)
    end

    :ok
  end

  def watch_each(pids) do
    for pid <- pids, do: Process.monitor(pid)
    length(pids)
  end

  # The value of the `if` is returned: the caller gets the ref.
  def watch_if(pid, watch?) do
    if watch?, do: Process.monitor(pid), else: nil
  end
end
