defmodule LegacyApp.WorkerPool do
  @moduledoc "A hand-rolled pool of worker processes."

  # raw-spawn: linked workers started outside the supervision tree.
  def start_workers(n) do
    for _ <- 1..n, do: spawn_link(fn -> worker_loop() end)
  end

  # raw-send: a hand-rolled call; a dead worker costs the whole timeout and a late reply
  # stays in the caller's mailbox.
  def run(worker, job) do
    ref = make_ref()
    send(worker, {:run, self(), ref, job})
    await_result(ref)
  end

  defp await_result(ref) do
    receive do
      {^ref, result} -> {:ok, result}
    after
      5_000 -> {:error, :timeout}
    end
  end

  defp worker_loop do
    receive do
      {:run, from, ref, job} ->
        send(from, {ref, job.()})
        worker_loop()
    end
  end
end
