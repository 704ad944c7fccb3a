defmodule Golden.UnusedIgnore.EofMarker do
  def other(x), do: x
end
# otpfix:ignore demonitor-down