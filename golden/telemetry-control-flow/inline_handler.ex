defmodule Golden.TelemetryControlFlow.InlineHandler do
  def run_and_wait(job) do
    me = self()

    :telemetry.attach(
      "wait-#{inspect(job)}",
      [:job, :done],
      fn _event, measurements, _metadata, _config -> send(me, {:done, measurements}) end,
      nil
    )

    enqueue(job)

    receive do
      {:done, measurements} -> {:ok, measurements}
    after
      5_000 -> {:error, :timeout}
    end
  end

  defp enqueue(_job), do: :ok
end
