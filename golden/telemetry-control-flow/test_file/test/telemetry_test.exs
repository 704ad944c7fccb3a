defmodule Golden.TelemetryControlFlow.TestFile.TelemetryTest do
  # The documented way to test telemetry: attach, trigger, receive.
  def test_emits do
    me = self()
    :telemetry.attach("t", [:a], fn e, _m, _md, _c -> send(me, {:event, e}) end, nil)

    receive do
      {:event, e} -> e
    after
      100 -> :timeout
    end
  end
end
