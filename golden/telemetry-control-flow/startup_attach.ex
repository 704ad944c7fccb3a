defmodule Golden.TelemetryControlFlow.StartupAttach do
  require Logger

  # A plain attach at startup: the handler observes and logs.
  def setup do
    :telemetry.attach("log-queries", [:repo, :query], &__MODULE__.log/4, nil)
  end

  def log(_event, measurements, _metadata, _config) do
    Logger.debug("query took #{measurements.total_time}")
  end

  def wait_for_something do
    receive do
      :something -> :ok
    after
      100 -> :timeout
    end
  end
end
