defmodule Golden.UnusedIgnore.UnknownRule do
  # Unknown names are reported (with a hint when one is close), never removed.
  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state) do # otpfix:ignore demonitor-dwn
    {:noreply, state}
  end

  # otpfix:ignore because-i-said-so
  def other(x), do: x
end
