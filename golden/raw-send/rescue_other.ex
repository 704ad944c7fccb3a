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

defmodule Golden.RawSend.RescueOther.InTask do
  # The GenServer.call runs in another process: its failure never reaches this rescue.
  def start(server, pid) do
    try do
      Task.start(fn -> GenServer.call(server, :work) end)
    rescue
      _ -> send(pid, :could_not_start)
    end
  end
end

defmodule Golden.RawSend.RescueOther.Report do
  # Reporting the failure to another process is not a fallback delivery.
  def push(server, reporter, event) do
    GenServer.call(server, {:push, event})
  catch
    :exit, reason -> send(reporter, {:push_failed, server, reason})
  end
end
