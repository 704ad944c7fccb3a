defmodule Golden.DiscardedMonitor.Each do
  def watch_all(pids) do
    Enum.each(pids, &Process.monitor/1)
  end

  def watch_all_fn(pids) do
    pids |> Enum.each(fn pid -> Process.monitor(pid) end)
  end

  # A list of refs is returned: not discarded.
  def watch_all_refs(pids) do
    Enum.map(pids, &Process.monitor/1)
  end
end
