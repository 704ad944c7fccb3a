defmodule Golden.UnusedIgnore.InString do
  @moduledoc """
  # otpfix:ignore-file demonitor-down
  """

  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    Process.demonitor(ref, [:flush])
    label = "# otpfix:ignore demonitor-down"
    {:noreply, {state, label, ~S(# otpfix:ignore demonitor-down)}}
  end
end
