defmodule Golden.TelemetryControlFlow.OtherModuleHandler do
  # The handler lives in another module (or in a variable): not analysed.
  def run(handler) do
    :telemetry.attach("other", [:a, :b], &Golden.Metrics.handle/4, nil)
    :telemetry.attach("var", [:a, :c], handler, nil)

    receive do
      {:done, result} -> result
    after
      1_000 -> :timeout
    end
  end
end
