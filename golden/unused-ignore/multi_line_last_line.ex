defmodule Golden.UnusedIgnore.MultiLineLastLine do
  # A marker on a later line of a multi-line finding does not cover it: the finding stays,
  # and the marker is reported as unused (and removed).
  def handle_info(
        {:DOWN, ref, :process,
         _pid, _reason}, # otpfix:ignore demonitor-down
        state
      ) do
    {:noreply, state}
  end
end
