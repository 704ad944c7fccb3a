defmodule Golden.TelemetryControlFlow.AttachMany do
  def wait_for_any(events) do
    :telemetry.attach_many("any", events, &handle/4, self())

    receive do
      {:event, name} -> name
    end
  end

  def handle(event, _measurements, _metadata, pid), do: Process.send(pid, {:event, event}, [])
end
