defmodule Golden.ProcessDict.ProcessInfo do
  def describe(pid) do
    Process.flag(:trap_exit, true)
    {Process.alive?(pid), Process.info(pid, :message_queue_len), Process.list() |> length()}
  end

  def put_pid(map, pid), do: Map.put(map, :pid, pid)
end
