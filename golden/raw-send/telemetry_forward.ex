defmodule Golden.RawSend.TelemetryForward do
  # The handler forwards events to the process that attached it.
  def attach do
    :telemetry.attach("forward", [:repo, :query], &__MODULE__.handle_event/4, %{pid: self()})
  end

  def handle_event(event, measurements, _metadata, %{pid: pid}) do
    send(pid, {:telemetry, event, measurements})
  end
end
