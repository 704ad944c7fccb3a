defmodule Golden.UnusedIgnore.EmptyMarker do
  # A marker must name its rules: this one suppresses nothing and says so.
  # otpfix:ignore
  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state) do
    {:noreply, state}
  end
end
