defmodule Golden.RawSend.WorkerOwner do
  # A worker reports its result to the process that started it, and the owner waits.
  def run(job) do
    owner = self()
    Task.start(fn -> send(owner, {:done, self(), work(job)}) end)

    receive do
      {:done, _worker, result} -> result
    after
      1_000 -> :timeout
    end
  end

  def worker_loop(owner) do
    result = work(:next)
    send(owner, {:result, self(), result})
  end

  defp work(job), do: job
end
