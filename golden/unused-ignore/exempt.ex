defmodule Golden.UnusedIgnore.Exempt do
  # A marker that names unused-ignore itself is never reported.
  def handle_info(msg, state) do # otpfix:ignore demonitor-down, unused-ignore
    {:noreply, {msg, state}}
  end
end
