defmodule Golden.TelemetryControlFlow.DifferentTag do
  # The handler reports metrics; the function waits for a reply of its own protocol.
  def call(server) do
    me = self()
    :telemetry.attach("m", [:x], fn _e, m, _md, _c -> send(me, {:metric, m}) end, nil)
    send(server, {:request, me})

    receive do
      {:reply, value} -> value
    after
      1_000 -> :timeout
    end
  end
end
