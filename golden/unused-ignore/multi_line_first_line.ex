defmodule Golden.UnusedIgnore.MultiLineFirstLine do
  # The finding (the :DOWN tuple) spans two lines; a marker for its first line covers it.
  def handle_info(
        # otpfix:ignore demonitor-down
        {:DOWN, _ref, :process,
         _pid, _reason},
        state
      ) do
    {:noreply, state}
  end
end
