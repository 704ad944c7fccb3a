defmodule Golden.RawSend.TestFile.ServerTest do
  # Tests talk to processes by hand all the time.
  def call(pid) do
    send(pid, {:call, self()})

    receive do
      reply -> reply
    after
      100 -> :timeout
    end
  end
end
