defmodule Golden.UnusedIgnore.Crlf do
  def handle_info(msg, state) do # otpfix:ignore demonitor-down
    {:noreply, {msg, state}}
  end

  # otpfix:ignore demonitor-down
  def other(x), do: x
end
