defmodule Golden.TelemetryControlFlow.ReceiveBefore do
  # The receive runs before the handler exists.
  def start do
    receive do
      {:go, _} -> :ok
    after
      100 -> :ok
    end

    me = self()
    :telemetry.attach("go", [:go], fn _e, m, _md, _c -> send(me, {:go, m}) end, nil)
  end
end
