defmodule Golden.TelemetryControlFlow.CapturedHandler do
  def sync(repo) do
    :telemetry.attach("sync", [:repo, :synced], &__MODULE__.handle_event/4, %{pid: self()})
    start_sync(repo)
    await_synced()
  end

  def flush(repo) do
    :telemetry.attach("flush", [:repo, :flushed], &Golden.TelemetryControlFlow.CapturedHandler.handle_event/4, %{pid: self()})
    start_sync(repo)
    await_synced()
  end

  def handle_event(_event, _measurements, metadata, %{pid: pid}) do
    send(pid, {:synced, metadata})
  end

  defp start_sync(_repo), do: :ok

  defp await_synced, do: wait(5_000)

  defp wait(timeout) do
    receive do
      {:synced, metadata} -> {:ok, metadata}
    after
      timeout -> {:error, :timeout}
    end
  end
end
