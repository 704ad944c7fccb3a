defmodule Golden.UnusedIgnore.PartlyUnknown do
  # The unused known rule is taken out; the unknown name stays for its author to correct.
  def handle_info(msg, state) do # otpfix:ignore demonitor-down,  not-a-rule
    {:noreply, {msg, state}}
  end
end
