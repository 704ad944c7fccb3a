defmodule Golden.UnusedIgnore.BlankLineAfter do
  # A marker alone on its line applies to the next line; here that line is blank, so it
  # suppresses nothing: the finding below is reported and fixed, the marker removed.
  # otpfix:ignore demonitor-down

  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    {:noreply, state}
  end
end
