defmodule Golden.RawSend.RescueOther do
  # The protected code is not a GenServer.call: a notification from a rescue is fine.
  def parse(pid, text) do
    try do
      String.to_integer(text)
    rescue
      ArgumentError ->
        send(pid, {:bad_input, text})
        :error
    end
  end
end
