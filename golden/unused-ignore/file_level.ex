# Copyright header comments may come first.
# otpfix:ignore-file demonitor-down
defmodule Golden.UnusedIgnore.FileLevel do
  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state) do
    {:noreply, state}
  end

  def handle_info({:DOWN, _ref, :port, _port, _reason}, state), do: {:noreply, state}
end
