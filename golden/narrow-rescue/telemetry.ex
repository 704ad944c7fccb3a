defmodule Golden.NarrowRescue.Telemetry do
  require Logger

  def setup do
    :telemetry.attach("golden-handler", [:app, :request], &__MODULE__.on_request/4, nil)
    :telemetry.attach_many("golden-many", [[:app, :a], [:app, :b]], &on_many/4, nil)

    :telemetry.attach("golden-inline", [:app, :inline], fn _event, measurements, _meta, _config ->
      try do
        Map.fetch!(measurements, :duration)
      rescue
        _ -> :ok
      end
    end, nil)
  end

  def on_request(_event, measurements, _metadata, _config) do
    Logger.info("took #{Map.fetch!(measurements, :duration)}")
  rescue
    _ -> :ok
  end

  def on_many(_event, measurements, _metadata, _config) do
    Map.fetch!(measurements, :count)
  rescue
    _ -> :ok
  end

  def handle_event(_event, measurements, _metadata, _config) do
    Map.fetch!(measurements, :size)
  rescue
    _ -> :ok
  end
end
