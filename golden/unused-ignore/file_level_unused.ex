# otpfix:ignore-file demonitor-down
defmodule Golden.UnusedIgnore.FileLevelUnused do
  def handle_info(msg, state), do: {:noreply, {msg, state}}
end
