defmodule Golden.UnusedIgnore.Crlf do
  def handle_info(msg, state) do
    {:noreply, {msg, state}}
  end

  def other(x), do: x
end
