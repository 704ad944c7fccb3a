defmodule Golden.TelemetryControlFlow.ForwardMetrics do
  use GenServer

  # The handler forwards metrics to the server that attached it; handle_info receives them.
  def init(_) do
    :telemetry.attach("metrics", [:http, :request], &__MODULE__.handle_event/4, %{pid: self()})
    {:ok, %{count: 0}}
  end

  def handle_event(_event, measurements, _metadata, %{pid: pid}) do
    send(pid, {:metric, measurements})
  end

  def handle_info({:metric, _measurements}, state), do: {:noreply, %{state | count: state.count + 1}}
end
